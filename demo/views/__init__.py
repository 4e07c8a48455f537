"""The Draw tab's four views of one drawing: the answer, every model side by side, the inside of a model,
and what would make each model read another digit. Each view is a function of the digit that returns
its components' values, and each has its API endpoint beside it."""

DRAW_HINT = "Draw a digit"
