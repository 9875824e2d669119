import EventLog
print("tape")
