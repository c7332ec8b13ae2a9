// placeholder: filled by the operators work
