// web routes: see below
