"""Plain copies of table rows for the tasks' batch paths: :mod:`communitas.row_copies`,
shared with dispatch since the batch fulfilment paths read and write rows the same way."""

from communitas.row_copies import RowCopy, insert_rows, read_copies, write_back

__all__ = ["RowCopy", "insert_rows", "read_copies", "write_back"]
