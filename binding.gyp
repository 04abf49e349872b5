# node-gyp build of the NETLINK_ISCSI addon (native/netlink.c -> build/Release/netlink.node).
# Linux only; built by `npm install`/`npm ci` through native/build.mjs, which never fails the install.
{
  "targets": [
    {
      "target_name": "netlink",
      "sources": ["native/netlink.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
