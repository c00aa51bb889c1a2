// Plotbox's danfo runtime has no file I/O: reading or writing Excel files is not offered.
throw new Error('xlsx is not available in Plotbox (the danfo runtime reads no files)');
