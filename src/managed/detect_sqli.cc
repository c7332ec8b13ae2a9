// placeholder: filled by the detect_sqli work
