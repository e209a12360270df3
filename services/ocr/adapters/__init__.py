"""The only OCR code that touches the world: the tesseract engine and its process pool."""
