"""Classification assistant for Taiwan's AI technical-service capability registration."""

from classifier.errors import ArtifactError, ClassifierError, DataFileError, InputError, ModelFetchError
from classifier.records import Prediction, RuleHit, SubItem, Suggestion

__all__ = [
    "ArtifactError", "Classifier", "ClassifierError", "DataFileError", "InputError", "ModelFetchError",
    "Prediction", "RuleHit", "SubItem", "Suggestion",
]


def __getattr__(name):
    # The facade pulls in numpy, scipy and scikit-learn; import it only when asked for.
    if name == "Classifier":
        from classifier.engine.pipeline import Classifier

        return Classifier
    raise AttributeError(name)
