"""The category classifier (分类派): suggests a ticket's category from its title and description.

The core has no Django model imports and runs on plain files too:
  text.py       normalisation and the per-process jieba tokenizer;
  model.py      TextClassifier (fit, predict_top/predict_batch, dumps/loads), cross_validated_score;
  csvfiles.py   message CSV reading (header aliases, gzip);
  files.py      train_from_csv / predict_csv, behind `manage.py category_model train --csv / predict`.
The platform side:
  training.py     train_from_tickets, the service behind the weekly task and `category_model train`;
  suggestions.py  category_suggestions, the selector reading the active CategoryModel once per process.
"""
