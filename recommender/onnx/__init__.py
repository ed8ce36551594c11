"""The one way ONNX models are run (session) and the export steps both models share."""
