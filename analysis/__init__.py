"""Measures over clean inputs: coverage, reach, siting, targets, reports and maps. No file or network IO."""
