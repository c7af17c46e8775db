"""Pure numerical rating code (numpy, scipy, stdlib). Never imports Django."""
