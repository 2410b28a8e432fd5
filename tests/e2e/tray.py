#!/usr/bin/python3
"""The tray protocol seen from a panel, for the end-to-end tests (Debian python3-gi).

  tray.py watcher LOG   own org.kde.StatusNotifierWatcher; log each registered item
  tray.py props LOG     print the last item's SNI properties as JSON
  tray.py layout LOG    print its dbusmenu items as JSON [{id, label, enabled}]
  tray.py click LOG TEXT   send a dbusmenu "clicked" event to the item labelled TEXT
"""
import json
import sys
import time

from gi.repository import Gio, GLib

WATCHER_XML = """
<node><interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
</interface></node>
"""


def watcher(log):
    items = []

    def call(conn, sender, path, iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            service = params.unpack()[0]
            bus, obj = (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
            items.append(bus + obj)
            with open(log, "a") as f:
                f.write(json.dumps({"bus": bus, "path": obj}) + "\n")
            conn.emit_signal(None, path, iface, "StatusNotifierItemRegistered", GLib.Variant("(s)", (bus + obj,)))
        invocation.return_value(None)

    def get(conn, sender, path, iface, prop):
        return {
            "RegisteredStatusNotifierItems": GLib.Variant("as", items),
            "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
            "ProtocolVersion": GLib.Variant("i", 0),
        }[prop]

    node = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML)

    def acquired(conn, name):
        conn.register_object("/StatusNotifierWatcher", node.interfaces[0], call, get, None)

    Gio.bus_own_name(Gio.BusType.SESSION, "org.kde.StatusNotifierWatcher", Gio.BusNameOwnerFlags.NONE, acquired, None, None)
    GLib.MainLoop().run()


def last_item(log):
    with open(log) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    if not lines:
        sys.exit("no tray item registered")
    return lines[-1]


def bus():
    return Gio.bus_get_sync(Gio.BusType.SESSION, None)


def prop(item, name):
    v = bus().call_sync(item["bus"], item["path"], "org.freedesktop.DBus.Properties", "Get",
                        GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", name)), None, 0, 5000, None)
    return v.unpack()[0]


def layout(item):
    menu_path = prop(item, "Menu")
    res = bus().call_sync(item["bus"], menu_path, "com.canonical.dbusmenu", "GetLayout",
                          GLib.Variant("(iias)", (0, -1, [])), None, 0, 5000, None).unpack()
    out = []
    for child in res[1][2]:
        cid, props, _ = child
        out.append({"id": cid, "label": props.get("label", ""), "enabled": props.get("enabled", True),
                    "type": props.get("type", "standard")})
    return menu_path, out


def main():
    cmd, log = sys.argv[1], sys.argv[2]
    if cmd == "watcher":
        watcher(log)
        return
    item = last_item(log)
    if cmd == "props":
        print(json.dumps({k: prop(item, k) for k in ("Id", "Title", "Status", "XAyatanaLabel", "IconName")}))
    elif cmd == "layout":
        print(json.dumps(layout(item)[1]))
    elif cmd == "click":
        # The app refills its menu in place when its model changes; read in the middle
        # of a refill, the layout lacks its tail. A user sees the finished menu: look
        # again for up to 5 s before saying the item is not there.
        deadline = time.monotonic() + 5
        while True:
            menu_path, items = layout(item)
            target = [i for i in items if i["label"].strip() == sys.argv[3]]
            if target or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if not target:
            sys.exit(f"no menu item {sys.argv[3]!r} in {[i['label'] for i in items]}")
        bus().call_sync(item["bus"], menu_path, "com.canonical.dbusmenu", "Event",
                        GLib.Variant("(isvu)", (target[0]["id"], "clicked", GLib.Variant("i", 0), 0)),
                        None, 0, 5000, None)


if __name__ == "__main__":
    main()
