"""Values as people write and read them, with no app imports: NHS numbers and the frailty scales (`nhs`), British
dates and London times (`dates`), how a letter greets a named doctor (`names`), ids and whole numbers typed in a
request (`numbers`, the one parser), and counts and files in words (`words`: "3 cases", "a Word document, 23 KB")."""
