// placeholder: filled by the detect_xss work
