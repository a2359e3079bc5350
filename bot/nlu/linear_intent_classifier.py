"""Rasa's logistic-regression intent classifier, saved as plain arrays instead of through skops.

Rasa 3.6 persists LogisticRegressionClassifier with skops, whose import walks every loaded module
for each scikit-learn type; inside a Rasa process (TensorFlow loaded) that takes 35 s or more per
training run and again at every server start. The fitted model is just a weight matrix, an
intercept vector and the intent names, so they are stored as an .npz file and a JSON list:
nothing is unpickled at load time.

It also answers empty messages (Rasa's own classifier fails on them with a dimension mismatch,
because some featurizers add no columns for an empty text): they get the `nlu_fallback` intent.
"""
import json
import logging
from typing import Any, Dict, List, Text

import numpy as np

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack

FALLBACK_INTENT = "nlu_fallback"

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    def process(self, messages: List[Message]) -> List[Message]:
        empty = [m for m in messages if not (m.get(TEXT) or "").strip()]
        for message in empty:
            intent = {"name": FALLBACK_INTENT, "confidence": 1.0}
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", [intent], add_to_output=True)
        rest = [m for m in messages if m not in empty]
        if rest:
            super().process(rest)
        return messages

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        X = super()._create_X(messages)
        expected = getattr(getattr(self, "clf", None), "coef_", None)
        if expected is not None and X.shape[1] < expected.shape[1]:
            X = hstack([X, csr_matrix((X.shape[0], expected.shape[1] - X.shape[1]))]).tocsr()
        return X

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / "weights.npz", coef=self.clf.coef_, intercept=self.clf.intercept_)
            (model_dir / "intents.json").write_text(json.dumps([str(c) for c in self.clf.classes_]))

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                weights = np.load(model_dir / "weights.npz", allow_pickle=False)
                intents = json.loads((model_dir / "intents.json").read_text())
        except (ValueError, FileNotFoundError):
            logger.debug(f"No trained {cls.__name__} in resource '{resource.name}'.")
            return component
        component.clf.coef_ = weights["coef"]
        component.clf.intercept_ = weights["intercept"]
        component.clf.classes_ = np.array(intents)
        return component
