"""MDB-stem-synth: resynthesized MedleyDB stems with exact f0 (manual download)."""
