"""Staff work: registry re-classification, the decision store, learning from approved decisions."""
