"""The pairwise vocabulary both apps speak, with no Django and no database.

- :mod:`pairwise.outcomes`: the four outcomes of a vote, their codes, names and labels, the
  credit each gives side A, and what swapping the sides does to them.
- :mod:`pairwise.months`: calendar months as ``YYYY-MM`` labels, ordinals and instants.
- :mod:`pairwise.matrices`: observed and predicted win-rate matrices.
- :mod:`pairwise.rows`: what reading a file gives (rows, row-numbered errors, skips).
- :mod:`pairwise.formats`: the three vote file formats and their per-row rules.
- :mod:`pairwise.occurrences`: numbering duplicate content ids in a stream, in bounded memory.

``arena`` (votes) and ``ranking`` (ratings, including the engine ``ranking.stats``) import
this package; it imports neither (``tests/test_architecture.py``).
"""
