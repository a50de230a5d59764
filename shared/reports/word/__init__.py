"""The Word (.docx) rendering of a report: document set-up, sections, tables."""

from shared.reports.word.build import render

__all__ = ["render"]
