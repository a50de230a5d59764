"""UPR document ingestion.

Pure code, no database: ``extract`` (text from PDF, DOCX, HTML), ``classify`` (what a
document is), ``parsers`` (per kind), ``parse`` (the three together), ``parsed`` (the
values they produce). With the database: ``ingest`` (one document, in the caller's
transaction), ``storing`` and ``upserts`` (what it writes), ``runs`` (the one way a run
starts, and its reads), ``sources`` (where documents come from), ``pipeline`` (the
orchestrator: units of work shared by the worker and the CLI), ``repository`` (SQL).
"""
