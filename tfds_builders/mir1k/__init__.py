"""MIR-1K: karaoke singing clips with semitone pitch labels (manual download)."""
