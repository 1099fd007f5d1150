"""A generic kit for importing JSON files into the models, used by the GOSO import
(curriculum/importing.py) and the textbook import (textbooks/importing.py); it knows no domain.

- files.py: reading a file (size limit, encoding, JSON) with errors naming the file;
- fields.py: checking a parsed document by JSON path (keys, kinds of values, the models' limits);
- sync.py: the one write step: create, update and report (or deactivate) rows by key, set-based,
  with a dry run that plans without writing, and the report (plan lines and a summary).

Each import runs in one transaction (atomic apply): any problem leaves the database as it was.
"""
