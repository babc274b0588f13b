"""WTForms: the shape of input only; rules live in the services."""
