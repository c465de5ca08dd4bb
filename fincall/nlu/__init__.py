"""Language understanding: intents, entities, language identification, sentiment.

Entry points: ``service.load_or_train(settings=...)`` returns the loaded models
(``.intents.classify(text)``, ``.sentiment.score(text)``); ``entities.extract_entities``,
``langid.identify`` and ``sentiment.trajectory`` are pure functions that need no model.
"""
