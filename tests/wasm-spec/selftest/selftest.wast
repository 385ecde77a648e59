;; tests/wasm-spec/selftest/selftest.wast — a test of the spec-test RUNNER, not the engine.
;; Every command below marked FAILS must fail and is listed in selftest-expected.txt; the
;; suite runs the runner with --fail-on-fixed, so a runner that wrongly passes any of them (or
;; wrongly fails a PASSES one) fails the suite. The crash and hang lines are triggered by the
;; runner's test hooks (WASM_SPEC_TEST_CRASH_LINE / WASM_SPEC_TEST_HANG_LINE) to check that
;; the file resumes after them.
(module $self
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "qnan") (result f32) (f32.const nan))
  (func (export "neg_qnan") (result f32) (f32.const -nan))
  (func (export "qnan_payload") (result f64) (f64.const nan:0x8000000000001))
  (func (export "snan") (result f64) (f64.const nan:0x4000000000001))
  (func (export "trap") (unreachable))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func (export "multi") (result i32 i64) (i32.const 1) (i64.const 2))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "null_func") (result funcref) (ref.null func))
  (func (export "some_func") (result funcref) (ref.func 0))
  (func (export "f32_bits") (param f32) (result f32) (local.get 0))
  (global (export "g") i32 (i32.const 7))
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))        ;; PASSES
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))        ;; FAILS
(assert_return (invoke "qnan") (f32.const nan:canonical))                        ;; PASSES
(assert_return (invoke "neg_qnan") (f32.const nan:canonical))                    ;; PASSES
(assert_return (invoke "qnan") (f32.const nan:arithmetic))                       ;; PASSES
(assert_return (invoke "qnan_payload") (f64.const nan:arithmetic))               ;; PASSES
(assert_return (invoke "qnan_payload") (f64.const nan:canonical))                ;; FAILS
(assert_return (invoke "snan") (f64.const nan:arithmetic))                       ;; FAILS
(assert_return (invoke "qnan") (f32.const 0))                                    ;; FAILS
(assert_return (invoke "f32_bits" (f32.const -0)) (f32.const -0))                ;; PASSES
(assert_return (invoke "f32_bits" (f32.const -0)) (f32.const 0))                 ;; FAILS
(assert_trap (invoke "trap") "unreachable")                                      ;; PASSES
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")              ;; PASSES
(assert_trap (invoke "div" (i32.const 0)) "integer overflow")                    ;; FAILS
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")              ;; FAILS
(assert_return (invoke "multi") (i32.const 1) (i64.const 2))                     ;; PASSES
(assert_return (invoke "multi") (i32.const 1) (i64.const 3))                     ;; FAILS
(assert_return (invoke "multi") (i32.const 1))                                   ;; FAILS
(assert_return (invoke "ext" (ref.extern 0)) (ref.extern 0))                     ;; PASSES
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 2))                     ;; FAILS
(assert_return (invoke "ext" (ref.extern 0)) (ref.null extern))                  ;; FAILS
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))               ;; PASSES
(assert_return (invoke "null_func") (ref.null func))                             ;; PASSES
(assert_return (invoke "some_func") (ref.null func))                             ;; FAILS
(assert_return (get "g") (i32.const 7))                                          ;; PASSES
(assert_return (get "g") (i32.const 8))                                          ;; FAILS
(assert_return (invoke "missing"))                                               ;; FAILS
(invoke "trap")                                                                  ;; FAILS
(invoke "add" (i32.const 5) (i32.const 6))                                       ;; PASSES
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")      ;; PASSES
(assert_invalid (module (func)) "type mismatch")                                 ;; FAILS
(assert_malformed (module binary "\00asm\01\00\00\00\01") "unexpected end")      ;; PASSES
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")         ;; FAILS
(assert_malformed (module quote "(func") "unexpected token")                     ;; SKIPPED
(register "self")
(module $user
  (import "self" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "memory" (memory 1))
  (func (export "add3") (param i32) (result i32)
    (call $print (local.get 0))
    (call $add (local.get 0) (global.get 0)))
)
(assert_return (invoke $user "add3" (i32.const 4)) (i32.const 670))             ;; PASSES
(assert_unlinkable (module (import "self" "nope" (func))) "unknown import")      ;; PASSES
(assert_unlinkable (module (import "self" "add" (func))) "incompatible import")  ;; PASSES
(assert_unlinkable (module (import "self" "add" (func (param i32 i32) (result i32)))) "unknown import") ;; FAILS
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")            ;; PASSES
(assert_trap (module (func $s) (start $s)) "unreachable")                        ;; FAILS
(assert_return (invoke $self "add" (i32.const 5) (i32.const 5)) (i32.const 10))        ;; CRASH HOOK
(assert_return (invoke $self "add" (i32.const 6) (i32.const 6)) (i32.const 12))        ;; PASSES after it
(assert_return (invoke $self "add" (i32.const 7) (i32.const 7)) (i32.const 14))        ;; HANG HOOK
(assert_return (invoke $self "add" (i32.const 8) (i32.const 8)) (i32.const 16))        ;; PASSES after it
