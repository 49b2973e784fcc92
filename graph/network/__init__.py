"""The partner network as a graph: brokers and structure, partnerships to create, one
interlocutor per employer.

Pure algorithms on networkx (no HTTP, no SQL): `model` builds the typed directed graph from
plain records and defines the employment side once; `structure` computes degree, betweenness,
components, articulation points, bridges, the cuts between shelters and employment, and
communities, each with networkx; `explain` says each figure in French; `partnerships` ranks
the partnerships a shelter or a SIAE could create; `interlocutors` lists the employers
approached by several structures with the single referent to suggest.

Not to be confused with `geodata.network` (the street networks people travel on).
"""
