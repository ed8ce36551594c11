"""Quality measurements over the whole service, on the committed dev sets in eval/."""
