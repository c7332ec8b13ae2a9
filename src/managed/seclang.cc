// placeholder: filled by the seclang work
