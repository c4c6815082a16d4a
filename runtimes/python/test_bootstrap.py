"""Unit tests of bootstrap.py's helpers that must match the standard library exactly.

Run with ``python3 runtimes/python/test_bootstrap.py`` (the cargo test
``python_bootstrap_unit_tests`` in crates/lambdagate-lambda/tests/runtimes.rs does).
"""

import importlib.util
import json
import os
import unittest
from unittest import mock

_SPEC = importlib.util.spec_from_file_location(
    "lambdagate_bootstrap",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py"),
)
bootstrap = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bootstrap)


def _outcome(fn, data):
    try:
        return ("value", fn(data))
    except Exception as e:  # the type and message are part of the contract
        return ("error", type(e), str(e))


class LoadsMatchesJsonLoads(unittest.TestCase):
    """_loads is a shortcut for json.loads on bytes: same values, same errors."""

    CASES = [
        b'{"a": 1, "b": [true, false, null], "c": "\\u00e9\\ud83d\\ude00"}',
        b'{"version":"2.0","headers":{"host":"x"},"body":null}',
        b"[]",
        b"{}",
        b"1",
        b"1.5e3",
        b'"text"',
        b"null",
        b"NaN",
        b"-Infinity",
        b"12345678901234567890123",
        "{\"k\": \"caf\u00e9 \u2603\"}".encode("utf-8"),
        # Whitespace around the document: json.loads accepts it.
        b'  {"a": 1}',
        b'{"a": 1}\n',
        b'\t[1, 2]\r\n ',
        # A UTF-8 byte order mark; UTF-16 and -32 documents, with and without one.
        b'\xef\xbb\xbf{"a": 1}',
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-16-le"),
        '{"a": 1}'.encode("utf-16-be"),
        '{"a": 1}'.encode("utf-32"),
        '{"a": 1}'.encode("utf-32-le"),
        b"1\x00",
        # Lone surrogates, which json.loads decodes with surrogatepass.
        b'"\xed\xa0\x80"',
        # Errors: each must carry json.loads's own message.
        b"",
        b"   ",
        b'{"a": 1} {"b": 2}',
        b'{"a": 1}x',
        b"{'a': 1}",
        b'{"a": }',
        b'{"a": "\x01"}',
        b"\xff\xfe\xfd",
        b'"\xff"',
        b"[1,",
    ]

    def test_every_case(self):
        for data in self.CASES:
            with self.subTest(data=data):
                want = _outcome(json.loads, data)
                got = _outcome(bootstrap._loads, data)
                if want[0] == "value" and isinstance(want[1], float) and want[1] != want[1]:
                    self.assertEqual(got[0], "value")
                    self.assertNotEqual(got[1], got[1])  # NaN
                else:
                    self.assertEqual(got, want)


class ContextEnvironment(unittest.TestCase):
    """The context's variables are read from os.environ at each invocation."""

    NAMES = bootstrap._CONTEXT_VARIABLES

    def test_reads_current_values(self):
        values = {name: "v-" + name for name in self.NAMES}
        with mock.patch.dict(os.environ, values):
            self.assertEqual(
                bootstrap._context_environment(), tuple(values[n] for n in self.NAMES)
            )
            os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "changed by the handler"
            del os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
            got = bootstrap._context_environment()
            self.assertEqual(got[2], "changed by the handler")
            self.assertIsNone(got[0])
            ctx = bootstrap.LambdaContext("id", None, None, 0)
            self.assertEqual(ctx.function_name, "changed by the handler")
            self.assertIsNone(ctx.log_group_name)
            self.assertEqual(ctx.memory_limit_in_mb, "v-AWS_LAMBDA_FUNCTION_MEMORY_SIZE")

    def test_non_ascii_values_decode_as_os_environ_does(self):
        with mock.patch.dict(os.environ, {"AWS_LAMBDA_FUNCTION_NAME": "f\u00e9"}):
            self.assertEqual(bootstrap._context_environment()[2], os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))

    def test_a_replaced_environ_is_followed(self):
        replacement = {"AWS_LAMBDA_FUNCTION_VERSION": "7"}
        with mock.patch.object(os, "environ", replacement):
            got = bootstrap._context_environment()
        self.assertEqual(got, (None, None, None, None, "7"))

    def test_plain_mapping_fallback(self):
        read = bootstrap._context_reader({"AWS_LAMBDA_FUNCTION_NAME": "f"})
        self.assertEqual(read(), (None, None, "f", None, None))


class MarkedOutput(unittest.TestCase):
    """The first output of an invocation sent ahead carries its mark, once."""

    def test_the_mark_goes_before_the_first_nonempty_write_only(self):
        import io

        raw = io.StringIO()
        out = bootstrap._Unbuffered(raw)
        out.write("before\n")
        out.pending_mark = "\0token:rid\0"
        out.write("")
        out.write("first")
        out.write("\n")
        out.writelines(["second\n"])
        self.assertEqual(raw.getvalue(), "before\n\0token:rid\0first\nsecond\n")

    def test_writelines_carries_the_mark_too(self):
        import io

        raw = io.StringIO()
        out = bootstrap._Unbuffered(raw)
        out.pending_mark = "\0t:r\0"
        out.writelines(["a\n", "b\n"])
        self.assertEqual(raw.getvalue(), "\0t:r\0a\nb\n")


class HostPackages(unittest.TestCase):
    """A module found in the interpreter's site-packages is named when the
    function's code imports it, not when a host package or the SDK does."""

    def setUp(self):
        import importlib.machinery
        import io
        import sys
        import tempfile

        self.tmp = tempfile.TemporaryDirectory()
        self.host = os.path.realpath(self.tmp.name)
        for name in ("lg_hostonly", "lg_hostdep", "lg_optional"):
            with open(os.path.join(self.host, name + ".py"), "w") as f:
                f.write("import lg_hostdep\n" if name == "lg_hostonly" else "")
        self.finder = bootstrap._HostPackageFinder(
            importlib.machinery.PathFinder, (self.host,)
        )
        self.saved = (list(sys.meta_path), list(sys.path), sys.stderr)
        sys.meta_path[:] = [
            self.finder if f is importlib.machinery.PathFinder else f
            for f in sys.meta_path
        ]
        sys.path.append(self.host)
        sys.stderr = self.said = io.StringIO()

    def tearDown(self):
        import sys

        sys.meta_path[:], sys.path[:], sys.stderr = self.saved
        for name in ("lg_hostonly", "lg_hostdep", "lg_optional"):
            sys.modules.pop(name, None)
        self.tmp.cleanup()

    def run_as(self, module, source):
        exec(compile(source, "/var/task/app.py", "exec"), {"__name__": module})

    def test_the_functions_import_is_named_once(self):
        self.run_as("app", "import lg_hostonly\nimport lg_hostonly\nimport json\n")
        said = self.said.getvalue()
        self.assertIn("module 'lg_hostonly' was imported from %s" % self.host, said)
        self.assertEqual(said.count("lambdagate: warning"), 1, said)

    def test_a_virtualenv_inside_the_code_folder_is_still_the_hosts(self):
        import site
        import sys

        saved = list(sys.meta_path)
        try:
            sys.meta_path[:] = [f for f in saved if f is not self.finder] + [
                __import__("importlib.machinery").machinery.PathFinder
            ]
            packages = os.path.realpath(site.getsitepackages()[0])
            # The code folder two levels above site-packages (proj/.venv/lib/...).
            bootstrap._watch_host_packages([os.path.dirname(os.path.dirname(packages))])
            finders = [
                f for f in sys.meta_path if isinstance(f, bootstrap._HostPackageFinder)
            ]
            self.assertEqual(len(finders), 1)
            self.assertIn(packages, finders[0]._host_dirs)
        finally:
            sys.meta_path[:] = saved

    def test_the_sdks_optional_imports_are_not(self):
        self.run_as("botocore.httpsession", "import lg_optional\n")
        self.assertEqual(self.said.getvalue(), "")


if __name__ == "__main__":
    unittest.main()
