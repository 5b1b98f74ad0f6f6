"""synthetic_notes dataset: random notes with their synthesis controls."""
