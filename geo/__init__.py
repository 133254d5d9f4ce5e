"""Data in and out: files, CRSs, divisions, boundaries, facilities, networks, workspace. Knows no plan."""
