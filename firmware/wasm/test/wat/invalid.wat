;; Valid text, invalid module: i32.add of an i64 operand.
(module (func (result i32) (i32.add (i64.const 1) (i32.const 2))))
