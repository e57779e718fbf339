"""Word documents and spreadsheets: one module per output, plain data in, bytes out."""
