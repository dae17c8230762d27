"""Spreadsheet files: CSV (the stdlib's csv module) and XLSX (openpyxl), read and written as
streams of rows so a million-row file never sits in memory."""
