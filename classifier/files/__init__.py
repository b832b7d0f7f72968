"""Tables in and out (CSV/XLSX in the encodings Taiwanese offices use) and the batch contract."""
