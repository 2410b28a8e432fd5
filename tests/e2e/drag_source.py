#!/usr/bin/python3
"""A GTK window that offers folders as text/uri-list when dragged (like Finder would).

  drag_source.py X Y PATH...   window at (X, Y) titled "drag-source"
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

x, y, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
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
win.connect("destroy", Gtk.main_quit)
win.show_all()
Gtk.main()
