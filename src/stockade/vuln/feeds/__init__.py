"""Advisory feed readers: every feed format in one shape (:mod:`stockade.model.advisory`).

:func:`stockade.vuln.feeds.detect.read_path` is the entry point: it finds the reader for each file or
directory under a path and yields ``(reader NAME, record)``.
"""
