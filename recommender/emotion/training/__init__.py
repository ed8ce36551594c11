"""Data, fine-tuning, export, calibration and evaluation of the emotion model (train time only)."""
