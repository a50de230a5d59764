"""The spreadsheet round trip: a State's recommendations to XLSX, edited rows back as
progress updates."""
