#!/usr/bin/python3
"""A GTK window that offers folders as text/uri-list when dragged (like Finder would).

  drag_source.py X Y LOG PATH...   window at (X, Y) titled "drag-source"; what GTK
  does with the drag (press, drag-begin, drag-failed REASON, drag-end) goes to LOG.
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

x, y, log_path, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
uris = [GLib.filename_to_uri(p, None) for p in paths]

win = Gtk.Window(title="drag-source")
win.set_default_size(160, 100)
win.move(x, y)
box = Gtk.EventBox()
box.add(Gtk.Label(label="drag me"))
win.add(box)
box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
box.drag_source_add_uri_targets()
box.connect("drag-data-get", lambda w, ctx, data, info, t: data.set_uris(uris))


def log(what):
    with open(log_path, "a") as f:
        f.write(what + "\n")


box.add_events(Gdk.EventMask.BUTTON_PRESS_MASK)
box.connect("button-press-event", lambda *a: log("press") or False)
box.connect("drag-begin", lambda *a: log("drag-begin"))
box.connect("drag-failed", lambda w, c, r: log("drag-failed %s" % r.value_nick) or False)
box.connect("drag-end", lambda *a: log("drag-end"))
win.connect("destroy", Gtk.main_quit)
win.show_all()
Gtk.main()
