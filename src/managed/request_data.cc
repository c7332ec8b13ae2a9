// placeholder: filled by the request_data work
