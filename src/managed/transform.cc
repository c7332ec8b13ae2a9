// placeholder: filled by the transform work
