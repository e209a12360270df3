"""ocr — stateless workers that clean each page image and read it in Vietnamese
(nhận dạng ký tự)."""
