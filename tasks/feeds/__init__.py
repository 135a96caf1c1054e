"""The chains' result feeds: SEJ (sej.py), FM (famima.py) and CVS (cvs.py), each holding its
layout as data; one fixed-width and one CSV reader (reader.py); the GS1-128 barcode (gs1.py);
file checks (checks.py, schemas/feeds.py); merge into the warehouse (merge.py); sequences.

    ingest_feed_file(con, f, as_of, settings) -> FileOutcome     # the inbox handler of SEJ_*, FM_*, CVS
    sequence_gaps(con, as_of) -> pl.DataFrame                    # open FILE_SEQUENCE_GAP candidates
"""

from tasks.feeds.merge import ingest_feed_file
from tasks.feeds.sequences import sequence_gaps

__all__ = ["ingest_feed_file", "sequence_gaps"]
