{
  "variables": {
    "rdkafka_deps": "<!(node -p \"require('path').join(require.resolve('node-rdkafka/package.json'), '..', 'build', 'deps')\")"
  },
  "targets": [
    {
      "target_name": "aio_rdkafka_poller",
      "type": "loadable_module",
      "sources": ["poller.c"],
      "include_dirs": ["<(rdkafka_deps)/include"],
      "cflags": ["-O2", "-Wall", "-Wno-ignored-qualifiers", "-pthread"],
      "libraries": ["-L<(rdkafka_deps)", "-l:librdkafka.so.1", "-Wl,-rpath,<(rdkafka_deps)", "-lpthread"]
    }
  ]
}
