"""Values as people write and read them, with no app imports: NHS numbers and the frailty scales (`nhs`), British
dates and London times (`dates`), how a letter greets a named doctor (`names`), and ids and whole numbers typed in
a request (`numbers`, the one parser)."""
