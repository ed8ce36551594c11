"""The runtime emotion classifier (8 labels); training/ holds everything that needs torch."""
