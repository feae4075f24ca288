"""Program tools for coordinators: import, needs attention, digest, export, academic calendar."""
