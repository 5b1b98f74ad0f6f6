"""URMP: separated instrument tracks of chamber pieces with f0 labels (manual download)."""
