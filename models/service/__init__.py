"""The service the reader and the export talk to: it composes models and cache into a
pipeline per output, schedules work by priority on one worker thread, and emits events."""
