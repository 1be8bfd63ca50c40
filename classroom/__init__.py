"""chainrule serve: a live lesson, the teacher's player on the projector and a question on
every student's phone (classroom/app.py serves it; classroom/room.py holds its state)."""
