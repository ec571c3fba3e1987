"""The cluster office's year (学区办): joint meetings and their decisions (联席会议), the attainment
ledger (督导台账) and the exchange teacher's dossier (交流教师档案). Pure: plain records in, plain
records out; `app.meetings` and `app.ledger` load and store."""
